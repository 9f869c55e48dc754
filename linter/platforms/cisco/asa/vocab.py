"""The ASA's vocabulary: protocol, port and ICMP names, inspection engines' default traffic,
and which commands are read, understood as not relevant, or refused.

Layer: platform (Cisco ASA), data only.
"""

from __future__ import annotations

from .... import model as m

PLATFORM = "cisco-asa"

STATE_COMMENT = "connection table: packets of established connections"
STATE_MATCH = m.Match((m.IntCond(m.STATE, ((1, 2),)),))

# --------------------------------------------------------------------------- vocabulary

# IP protocol names the ASA accepts (None: `ip`, every protocol)
ASA_PROTOCOLS: dict[str, int | None] = {
    "ip": None, "ah": 51, "eigrp": 88, "esp": 50, "gre": 47, "icmp": 1, "icmp6": 58, "igmp": 2,
    "igrp": 9, "ipinip": 4, "ipsec": 50, "nos": 94, "ospf": 89, "pcp": 108, "pim": 103,
    "pptp": 47, "sctp": 132, "snp": 109, "tcp": 6, "udp": 17,
}

# TCP/UDP port names the ASA accepts: name -> (port, protocols it is defined for)
_T, _U, _TU = ("tcp",), ("udp",), ("tcp", "udp")
ASA_PORTS: dict[str, tuple[int, tuple[str, ...]]] = {
    "aol": (5190, _T), "bgp": (179, _T), "biff": (512, _U), "bootpc": (68, _U), "bootps": (67, _U),
    "chargen": (19, _T), "cifs": (3020, _TU), "citrix-ica": (1494, _T), "cmd": (514, _T),
    "ctiqbe": (2748, _T), "daytime": (13, _T), "discard": (9, _TU), "dnsix": (195, _U),
    "domain": (53, _TU), "echo": (7, _TU), "exec": (512, _T), "finger": (79, _T), "ftp": (21, _T),
    "ftp-data": (20, _T), "gopher": (70, _T), "h323": (1720, _T), "hostname": (101, _T),
    "http": (80, _TU), "https": (443, _TU), "ident": (113, _T), "imap4": (143, _T), "irc": (194, _T),
    "isakmp": (500, _U), "kerberos": (750, _TU), "klogin": (543, _T), "kshell": (544, _T),
    "ldap": (389, _T), "ldaps": (636, _T), "login": (513, _T), "lotusnotes": (1352, _T),
    "lpd": (515, _T), "mobile-ip": (434, _U), "nameserver": (42, _U), "netbios-dgm": (138, _U),
    "netbios-ns": (137, _U), "netbios-ssn": (139, _T), "nfs": (2049, _TU), "nntp": (119, _T),
    "ntp": (123, _U), "pcanywhere-data": (5631, _T), "pcanywhere-status": (5632, _U),
    "pim-auto-rp": (496, _TU), "pop2": (109, _T), "pop3": (110, _T), "pptp": (1723, _T),
    "radius": (1645, _U), "radius-acct": (1646, _U), "rip": (520, _U), "rsh": (514, _T),
    "rtsp": (554, _T), "secureid-udp": (5510, _U), "sip": (5060, _TU), "smtp": (25, _T),
    "snmp": (161, _U), "snmptrap": (162, _U), "sqlnet": (1521, _T), "ssh": (22, _T),
    "sunrpc": (111, _TU), "syslog": (514, _U), "tacacs": (49, _TU), "talk": (517, _TU),
    "telnet": (23, _T), "tftp": (69, _U), "time": (37, _U), "uucp": (540, _T), "vxlan": (4789, _U),
    "who": (513, _U), "whois": (43, _T), "www": (80, _TU), "xdmcp": (177, _U),
}

ICMP4_TYPES = {
    "echo-reply": 0, "unreachable": 3, "source-quench": 4, "redirect": 5, "alternate-address": 6,
    "echo": 8, "router-advertisement": 9, "router-solicitation": 10, "time-exceeded": 11,
    "parameter-problem": 12, "timestamp-request": 13, "timestamp-reply": 14,
    "information-request": 15, "information-reply": 16, "mask-request": 17, "mask-reply": 18,
    "traceroute": 30, "conversion-error": 31, "mobile-redirect": 32,
}
ICMP6_TYPES = {
    "unreachable": 1, "packet-too-big": 2, "time-exceeded": 3, "parameter-problem": 4,
    "echo": 128, "echo-reply": 129, "membership-query": 130, "membership-report": 131,
    "membership-reduction": 132, "router-solicitation": 133, "router-advertisement": 134,
    "neighbor-solicitation": 135, "neighbor-advertisement": 136, "neighbor-redirect": 137,
    "router-renumbering": 138,
}

# What `match default-inspection-traffic` selects for each inspection engine:
# (protocol, first port, last port); a port of None: the whole protocol.
INSPECT_DEFAULTS: dict[str, tuple[tuple[int, int | None, int | None], ...]] = {
    "ctiqbe": ((6, 2748, 2748),), "dcerpc": ((6, 135, 135),),
    "diameter": ((6, 3868, 3868), (132, 3868, 3868)), "dns": ((17, 53, 53),),
    "esmtp": ((6, 25, 25),), "smtp": ((6, 25, 25),), "ftp": ((6, 21, 21),),
    "gtp": ((17, 2123, 2123), (17, 3386, 3386)), "h323 h225": ((6, 1720, 1720),),
    "h323 ras": ((17, 1718, 1719),), "http": ((6, 80, 80),), "icmp": ((1, None, None),),
    "icmp error": ((1, None, None),), "ils": ((6, 389, 389),), "ipsec-pass-thru": ((17, 500, 500),),
    "lisp": ((17, 4342, 4342),), "m3ua": ((132, 2905, 2905),),
    "mgcp": ((17, 2427, 2427), (17, 2727, 2727)), "mmp": ((6, 5443, 5443),),
    "netbios": ((17, 137, 138),), "pptp": ((6, 1723, 1723),), "radius-accounting": ((17, 1646, 1646),),
    "rsh": ((6, 514, 514),), "rtsp": ((6, 554, 554),), "sctp": ((132, None, None),),
    "sip": ((6, 5060, 5060), (17, 5060, 5060)), "skinny": ((6, 2000, 2000),),
    "snmp": ((17, 161, 162),), "sqlnet": ((6, 1521, 1521),),
    "stun": ((6, 3478, 3478), (17, 3478, 3478)), "sunrpc": ((6, 111, 111), (17, 111, 111)),
    "tftp": ((17, 69, 69),), "vxlan": ((17, 4789, 4789),), "waas": ((6, 1, 65535),),
    "xdmcp": ((17, 177, 177),),
}
# PIX `fixup protocol NAME PORT`: the transport of each engine
FIXUP_TRANSPORT = {
    "ctiqbe": 6, "dns": 17, "esp-ike": 17, "ftp": 6, "h323 h225": 6, "h323 ras": 17, "http": 6,
    "ils": 6, "mgcp": 17, "pptp": 6, "rsh": 6, "rtsp": 6, "sip": 6, "sip udp": 17, "skinny": 6,
    "smtp": 6, "esmtp": 6, "snmp": 17, "sqlnet": 6, "tftp": 17,
}

LOG_LEVELS = {"emergencies": 0, "alerts": 1, "critical": 2, "errors": 3, "warnings": 4,
               "notifications": 5, "informational": 6, "debugging": 7}

# Top-level commands that do not concern filtering (understood as "not relevant").
NOT_RELEVANT = frozenset("""
aaa aaa-server admin-context allocate-interface arp asdm asp auth-prompt banner boot ca call-home
client-update clock command-alias compression config-url console context crashinfo crypto
cryptochecksum ddns dhcp dhcp-client dhcpd dhcprelay dns dns-guard domain-name dynamic-access-policy-record
dynamic-filter eigrp enable end event exit failover file-bandwidth filter firewall flow-export
fragment ftp group-delimiter group-policy hostname hpm http icmp igmp imi_traffic_schema ip-client
ipsec isakmp jumbo-frame kernel key keychain l2tp ldap license logging mac-address mac-learn
management-access monitor-interface mroute mtu multicast-routing nac-policy names nat-control
no-asp ntp object-group-search ospf pager passwd password password-policy pim policy-list
policy-route prefix-list privilege prompt quit rest-api route route-map router scansafe
smtp-server snmp snmp-map snmp-server ssh ssl sla strong-encryption subscriber sysopt
tcp-map telnet terminal tftp-server threat-detection time-range timeout tls-proxy track
tunnel-group tunnel-group-map url-block url-cache url-server user-identity username
vpdn vpn vpn-addr-assign vpn-sessiondb vpnclient wccp webvpn write xlate service service-module
ipv6 ip floodguard mode diagnostic dynamic-map access-list-hitcnt mgmt-access
""".split())

# PIX / ASA commands that concern filtering and are not modelled
UNSUPPORTED = {
    "conduit": "PIX 6 conduit (inbound permits through static translations) is not modelled",
    "outbound": "PIX outbound lists are not modelled",
    "apply": "PIX outbound lists (apply) are not modelled",
    "established": "PIX `established` (return connections on other ports) is not modelled",
    "shun": "shunned hosts are dropped at run time; not modelled",
    "ips": "traffic diverted to an IPS module is not modelled",
}

IOS_ONLY = frozenset({"ip access-list", "ip access-group", "mac access-list", "ip inspect", "ip nat",
                       "ip route", "zone security", "zone-pair", "ipv6 traffic-filter", "line vty",
                       "line con"})

TOP_COMMANDS = frozenset({
    "access-list", "access-group", "object", "object-group", "interface", "nameif", "name", "nat",
    "static", "global", "policy-map", "class-map", "service-policy", "same-security-traffic",
    "clear", "fixup", "no", "ipv6", "ip", "sysopt", "hostname", "asa", "pix", "fwsm",
}) | NOT_RELEVANT | frozenset(UNSUPPORTED)

# sub-commands of each block kind (a line of these at the top level, right after such a
# block, belongs to the block: a script typed without indentation)
SUBCOMMANDS = {
    "object network": {"host", "subnet", "range", "fqdn", "nat", "description"},
    "object service": {"service", "description"},
    "object-group network": {"network-object", "group-object", "description"},
    "object-group service": {"port-object", "service-object", "group-object", "description"},
    "object-group protocol": {"protocol-object", "group-object", "description"},
    "object-group icmp-type": {"icmp-object", "group-object", "description"},
    "object-group user": {"user", "user-group", "group-object", "description"},
    "object-group security": {"security-group", "group-object", "description"},
    "interface": {"nameif", "security-level", "speed", "duplex", "shutdown", "description", "vlan",
                  "member-interface", "management-only", "ospf", "pppoe", "mac-address"},
    "class-map": {"match", "description"},
    "policy-map": {"class", "description", "parameters"},
    "policy-map-inspect": {"parameters", "match", "class", "description"},
}

# --------------------------------------------------------------------------- lines
