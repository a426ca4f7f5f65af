from django.contrib.auth.hashers import Argon2PasswordHasher


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with minimal cost, for the test suite only (tests/conftest.py selects it).

    The production parameters (~100 MB, several passes per hash) are the point in production
    and the bottleneck of a test suite that logs in hundreds of times on two cores.
    """

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
