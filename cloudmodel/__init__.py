"""cloudmodel: a bottom-up, tested driver model of Alibaba Cloud and the group around it.

>>> import cloudmodel
>>> fc = cloudmodel.forecast()
>>> fc.table        # polars DataFrame: line, period, basis, value, unit
"""

from cloudmodel.errors import CloudmodelError, InputError
from cloudmodel.model import Forecast, forecast, load_drivers
from cloudmodel.version import __version__

__all__ = ["Forecast", "forecast", "load_drivers", "InputError", "CloudmodelError", "__version__"]
