"""Circles of Support and Accountability (seed 001): the services of the programme "circles".

- ``access``: who stands where in a circle; the one way to find a circle for someone.
- ``lifecycle``: the request, the people linked to it, every workflow trigger.
- ``volunteers``: the volunteers' registry (application, screening, training).
- ``outer``: the outer circle of professionals (sealed names; they see nothing).
- ``meetings`` and ``concerns``: meetings, their sealed minutes, the warning signs raised from them.
- ``views``: what the pages show; ``timers``: minutes due and the anniversary.
"""
