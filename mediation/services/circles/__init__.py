"""Circles of Support and Accountability (seed 001): the services of the programme "circles".

- ``access``: who stands where in a circle; the one way to find a circle for someone.
- ``requests``: a core member's request, recorded by the coordinator or forwarded by referring staff.
- ``roster``: the circle's people: the core member's account (linked or invited), the supervising staff member.
- ``lifecycle``: every workflow trigger and what follows from it (membership, the year, its timers).
- ``volunteers``: the volunteers' registry (application, screening, training).
- ``outer``: the outer circle of professionals (sealed names; they see nothing).
- ``meetings`` and ``concerns``: meetings, their sealed minutes, the warning signs raised from them.
- ``views``: what the pages show; ``timers``: minutes due and the anniversary.
"""
