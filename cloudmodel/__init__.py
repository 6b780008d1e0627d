"""cloudmodel: a bottom-up, tested driver model of Alibaba Cloud and the group around it.

>>> import cloudmodel
>>> fc = cloudmodel.forecast()
>>> fc.table        # polars DataFrame: line, period, basis, value, unit
"""

__version__ = "0.1.0"

from .errors import CloudmodelError, InputError  # noqa: E402
from .model import Forecast, forecast, load_drivers  # noqa: E402

__all__ = ["Forecast", "forecast", "load_drivers", "InputError", "CloudmodelError", "__version__"]
