# English screens and e-mails: 9 Dec 2026, 24-hour times as the Japanese screens show them.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i:s"
SHORT_DATETIME_FORMAT = "j M Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j M"
