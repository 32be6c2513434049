"""What operators see: structured JSON logs without personal data, and Prometheus metrics."""

from careerrank.observability.logs import JsonFormatter, configure, describe_exception
from careerrank.observability.metrics import PipelineMetrics, serve

__all__ = ["JsonFormatter", "PipelineMetrics", "configure", "describe_exception", "serve"]
