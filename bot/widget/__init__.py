"""The embeddable chat: the `/widget.js` loader and which sites may embed the chat."""
