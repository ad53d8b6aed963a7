"""Qt-free rendering of replies: Markdown to Qt-friendly HTML, and the cache of rendered HTML."""
