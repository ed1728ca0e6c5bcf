"""What `pulse notify run` sends: e-mail digests of saved views and alerts on their KPIs
(issue #16). Below the CLI, which only parses its arguments and calls `run.notify_all`.

A face of its own beside the page and the API: it writes numbers for people, so it
formats them with the page's pure, browser-free modules (`page.formatting`,
`page.i18n`, `page.urlstate`) and speaks the view's language from the page's catalogs;
it never imports the page's layout or callbacks, and nothing but the CLI imports it.

Exactly once: a run holds one PostgreSQL advisory lock throughout (a second run at the
same moment waits, then finds what the first wrote), a digest is sent only when its
ledger row is missing, and an alert's firing is a history row whose channels stay
`due` until they took the message. A failed send writes `failed` and why, never stops
the others, and is tried again by the next run. Logs name the subscription or alert,
never a password, a message body or a webhook's address.
"""
