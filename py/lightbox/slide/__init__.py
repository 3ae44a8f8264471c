"""Whole-slide microscopy (issue 15 item 2): pyramid levels, their tile index, tiles decoded."""
