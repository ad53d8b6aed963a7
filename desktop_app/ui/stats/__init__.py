"""The statistics window (View → Statistics): built when first opened, never at start-up."""
