"""The main screen: the tabs, the banner and the footer."""
