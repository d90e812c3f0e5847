"""The Textual console. Import-light: ``tursotui.ui.app`` pulls in Textual, this package does not.

Build a :class:`~tursotui.ui.services.Services` and run ``TursoApp(services)`` (see ``tursotui.ui.app``).
"""
