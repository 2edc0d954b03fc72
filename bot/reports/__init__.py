"""The insights reports: the supervisors' page and API (`/api/insights/...`, `/desk/insights`)
and the metrics endpoint, over what `bot.insights` recorded. On top of the features whose
records they read; nothing below imports them."""
