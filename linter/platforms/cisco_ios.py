"""The old import path of the Cisco IOS platform: `linter.platforms.cisco_ios` is the package
`linter.platforms.cisco.ios` itself (the same module object, so that what is set on one name
is seen through the other)."""

import sys

from .cisco import ios

sys.modules[__name__] = ios
