from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.views.generic import CreateView, DetailView, ListView

from products.forms import ProductForm
from products.models import Product


class ProductListView(ListView):
    queryset = Product.objects.for_listing()
    paginate_by = 12
    template_name = "products/index.html"


class ProductDetailView(DetailView):
    queryset = Product.objects.select_related("creator")
    template_name = "products/detail.html"


class ProductCreateView(LoginRequiredMixin, SuccessMessageMixin, CreateView):
    form_class = ProductForm
    template_name = "products/form.html"
    success_message = "%(name)s is ready to sell."

    def form_valid(self, form):
        form.instance.creator = self.request.user
        return super().form_valid(form)
