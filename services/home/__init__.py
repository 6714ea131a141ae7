"""The home screen: the standard entry points and the reduced elder-mode set (适老化)."""
