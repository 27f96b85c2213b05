from wagtail.snippets.models import register_snippet

from .models import Quiz

# Registered so that module pages can choose a quiz; the assessments issue gives it its own
# admin (question banks, attempts, item analysis).
register_snippet(Quiz)
