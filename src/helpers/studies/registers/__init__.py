"""The centre's other feedback channels and workload records (issue 11).

Four registers beside the Mystery Guest, each a declared study (``studies/mailbox.yaml``,
``elibrary.yaml``, ``support_line.yaml``, ``assistant_workload.yaml``) plus the one-page overview across
channels (``channels.yaml``):

* **Social Mailbox** (социальный почтовый ящик): written appeals from boxes in 5 settlements, emptied
  every Friday;
* **E-library** (электронная библиотека): the register of users and the mailing journal; the frame of
  remote surveys of up to 10% of users (:mod:`.sample`);
* **Support Line** (линия поддержки, COVID-19): one row per remote contact;
* **assistant support** (асистентска подкрепа): the coordinator's timesheet and the movement of users
  and staff.

Modules: :mod:`.codebook` (vocabularies, both languages), :mod:`.ingest` (data contracts, validation,
quarantine), :mod:`.analyses` (one function per statistic), :mod:`.sample` (the survey sample),
:mod:`.demo` (demo data reproducing the published figures), :mod:`.study` (every table computed once),
:mod:`helpers.figures.registers`.
"""
