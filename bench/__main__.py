"""`make bench`: prints every performance figure; never fails on time."""

from __future__ import annotations

from bench import dynamodb_calls, import_times, lists_and_matching, moto_transactions


def main() -> None:
    import_times.main()
    print()
    dynamodb_calls.main()
    print()
    moto_transactions.main()
    print()
    lists_and_matching.main()


if __name__ == "__main__":
    main()
