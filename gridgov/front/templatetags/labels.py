"""{% load labels %}: codes shown as words (gridgov.core.labels)."""

from django import template

from gridgov.core import labels

register = template.Library()
register.filter("channel_label", labels.channel_label)
register.filter("model_label", labels.model_label)
register.filter("actor_label", labels.actor_label)
register.filter("personal_data_label", labels.personal_data_label)
