from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .dashboard import task_groups


@login_required
def home(request):
    return render(request, "home.html", {"task_groups": task_groups(request.user)})
