"""The Metric contract, as checks any metric (built-in or your own) can be run through:
per-step updates never wait for the accelerator, and state lives where the data is."""

import torch

from lamina.testing.host_sync import NoHostSync


def check_no_host_sync(metric, y_true, y_pred, sample_weight):
    metric.update_state(y_true, y_pred)  # the first call may build lazy state (thresholds, ...)
    with NoHostSync():
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)
        metric.update_state(y_true, y_pred)
        metric.result()


def check_state_follows_the_data(metric, y_true, y_pred, sample_weight):
    """The `meta` device stands in for CUDA: the state must move there on first sight, and stay
    with the model output when labels and weights are left on the CPU."""
    metric.update_state(y_true.to("meta"), y_pred.to("meta"), sample_weight=sample_weight.to("meta"))
    assert metric.variables and all(v.device.type == "meta" for v in metric.variables)
    assert metric.result().device.type == "meta"
    metric.update_state(y_true, y_pred.to("meta"), sample_weight=sample_weight)
    assert all(v.device.type == "meta" for v in metric.variables)


def check_cuda_matches_cpu(make_metric, y_true, y_pred, sample_weight):
    on_cpu, on_gpu = make_metric(), make_metric()
    on_cpu.update_state(y_true, y_pred, sample_weight=sample_weight)
    on_gpu.update_state(y_true.cuda(), y_pred.cuda(), sample_weight=sample_weight.cuda())
    assert all(v.is_cuda for v in on_gpu.variables)
    torch.testing.assert_close(on_gpu.result().cpu(), on_cpu.result())
