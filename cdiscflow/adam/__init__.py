"""ADaM from SDTM, declared by spec files (``mappings/<study>/adam/``, docs/adam-spec.md).

``spec`` is the spec language's model, ``derivations`` and ``response`` the generic admiral-named
derivation functions, ``engine`` builds and writes the datasets, ``stage`` is the step of
`cdiscflow run`.
"""
