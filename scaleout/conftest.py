from scaleout.faults import ROWS, table


def pytest_terminal_summary(terminalreporter):
    if ROWS:
        terminalreporter.section("faults under load")
        terminalreporter.write_line(table(ROWS))
