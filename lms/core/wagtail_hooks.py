from wagtail import hooks

from .audit import SINAU_ACTIONS


@hooks.register("register_log_actions")
def register_sinau_log_actions(actions):
    for code, (label, message) in SINAU_ACTIONS.items():
        actions.register_action(code, label, message)
