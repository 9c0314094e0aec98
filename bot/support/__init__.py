"""Support for members: the crisis and support contacts `/resources` shows."""
