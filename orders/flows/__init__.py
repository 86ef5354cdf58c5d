"""The two order wizards (flows) and the framework they share.

- `framework`: declared steps, named preconditions, and the one gate every view and htmx fragment
  of both flows passes (ownership, flow, submitted, expiry, order of steps).
- `shared`: what both flows' screens use (bound form data, the red/blue content rows).
- `immediate`: ダイヤルイン番号の追加申込【お申し込み直後に開通するお申し込み】.
- `scheduled`: ダイヤルイン番号の追加申込【工事日を指定するお申し込み】.
- `draft_pages`: 作成中のお申し込み (list, 再開, 破棄) and the accepted page, for either flow.
"""
