"""Attacks on the kit, run by ``make test``; their harness is ``tests/_support/reliability``.

Each harness module holds one kind of attack, so ``tests/soak/`` can run the same attacks for
longer: ``fuzzing`` (requests no client would send), ``differential`` (the models against
``openapi.yaml``), ``faults`` (creates through injected failures), ``races`` (same-key
creates at once), ``crash`` (``kill -9`` of ``leanrails sandbox --db``), ``leaks`` (the API
key on every surface) and ``results`` (the counts, printed and written as JSON).
"""
