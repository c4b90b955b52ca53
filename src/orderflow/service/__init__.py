"""The application service: commands over the domain, with ports for everything outside."""

from orderflow.service.flow import DispatchReport, OrderFlow
from orderflow.service.settings import RetryPolicy, Settings, StaffAndSystem

__all__ = ["DispatchReport", "OrderFlow", "RetryPolicy", "Settings", "StaffAndSystem"]
