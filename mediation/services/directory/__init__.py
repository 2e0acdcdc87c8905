"""The partner directory: the services each organisation of the network offers (issue 11).

Two ideas, one module each: an organisation's coordinator keeps its OWN services (``manage``), and every worker of
the network finds the active services of all organisations (``search``). The fields and their checks are shared
by both (``fields``). Nothing here is about a person: a service is what an organisation offers, in its own words.
"""
