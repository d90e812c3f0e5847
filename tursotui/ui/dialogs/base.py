"""What every dialog and wizard step shares: the modal stylesheet."""

from __future__ import annotations

from pathlib import Path

MODAL_TCSS = Path(__file__).with_name("modal.tcss")
"""The frame of every modal screen; dialogs and wizards list it first in their CSS_PATH."""
