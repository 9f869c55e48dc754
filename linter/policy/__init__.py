"""Requirements as code: policy packs, inventories, and their evaluation.

Layer: policy. Reads YAML packs (rules/*.yaml) and inventories, validates them against the
published JSON schemas (rules/schema/), and evaluates the requirements on the devices the
inventory places between the roles, through the same packet-space engine the checks use.
"""

from .pack import Pack, PolicyError, Requirement, builtin_packs, load_pack  # noqa: F401
from .inventory import Inventory, load_inventory  # noqa: F401
