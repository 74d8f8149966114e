"""Rosters from spreadsheets (``linli import``, ``/import``, ``/join``).

Organizers keep households, volunteers, teams and party members in Excel; typing 2,000 households one
``/resident verify`` at a time will not happen. The modules, in the order an import runs:

* :mod:`core.rosters.kinds`: what a plugin declares (hook ``linli_roster_kinds``): columns, ``check``, ``apply``;
* :mod:`core.rosters.sheets`: reading .xlsx and UTF-8/GBK CSV, finding the header under a title row;
* :mod:`core.rosters.importer`: checking every row, finding the people, the dry run and the one transaction;
* :mod:`core.rosters.pending`: people not yet known, their one-time codes, matching when they speak;
* :mod:`core.rosters.summary`: what the import says, and the files of codes and problems;
* :mod:`core.rosters.cli`: ``linli import``; the chat commands are :mod:`core.builtin.roster`, the core's own
  kinds (households, volunteers) :mod:`core.builtin.roster_kinds`.
"""
