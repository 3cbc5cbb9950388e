"""Registries that let higher apps (funding, pledges, reports) add navigation and home-page
tasks without applicants importing them: dependencies point one way."""

from collections.abc import Callable

# nav provider: user -> list of (order, label, url_name)
NavProvider = Callable[[object], list[tuple[int, str, str]]]
# task provider: user -> list of {"title": str, "items": [{"label", "count", "url"}]}
TaskProvider = Callable[[object], list[dict]]

_nav: list[NavProvider] = []
_tasks: list[TaskProvider] = []


def register_nav(provider: NavProvider) -> NavProvider:
    _nav.append(provider)
    return provider


def register_tasks(provider: TaskProvider) -> TaskProvider:
    _tasks.append(provider)
    return provider


def nav_entries(user) -> list[tuple[int, str, str]]:
    entries: list[tuple[int, str, str]] = []
    for provider in _nav:
        entries.extend(provider(user))
    return sorted(entries, key=lambda e: e[0])


def task_groups(user) -> list[dict]:
    groups: list[dict] = []
    for provider in _tasks:
        groups.extend(group for group in provider(user) if group.get("items"))
    return groups
