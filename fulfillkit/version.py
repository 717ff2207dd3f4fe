"""The version of fulfillkit, in one place: the package, the build (hatch reads this file)
and the HTML report all take it from here."""

__version__ = "0.1.0"
