"""The application service: commands over the domain, with ports for everything outside."""

from orderflow.service.flow import DispatchReport, DueReport, OrderFlow
from orderflow.service.settings import RetryPolicy, Settings, StaffAndSystem

__all__ = ["DispatchReport", "DueReport", "OrderFlow", "RetryPolicy", "Settings", "StaffAndSystem"]
