# The guide's formats (2026年12月09日, zero-padded), used by `|date` with a format name.
DATE_FORMAT = "Y年m月d日"
DATETIME_FORMAT = "Y年m月d日 H:i:s"
SHORT_DATETIME_FORMAT = "Y年m月d日 H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
