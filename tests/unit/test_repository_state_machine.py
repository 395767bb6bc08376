"""The in-memory repository follows the plain-dict model through random histories."""

from hypothesis import HealthCheck, settings

from adapters.memory import in_memory_uow_factory
from tests.repository_model import build_machine

MemoryMachine = build_machine(in_memory_uow_factory)
MemoryMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestInMemoryRepository = MemoryMachine.TestCase
