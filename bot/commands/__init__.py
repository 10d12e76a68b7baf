"""One module per group of ``classguard`` commands."""
