#!/usr/bin/env python3
"""M/M/c in SimPy and in Ciw, the same model as `carequeue simulate queue`:
Poisson arrivals, exponential services, FIFO, the first 1% dropped as
warm-up. Prints one JSON line per tool: customers, seconds, customers per
second and the mean wait.

    python3 peers.py --tool simpy --lam 9 --mu 1 --servers 10 --customers 1000000 --seed 1
"""
import argparse
import json
import random
import time


def simpy_run(lam, mu, c, n, seed):
    import simpy
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    waits = []

    def customer(env):
        arrived = env.now
        with servers.request() as req:
            yield req
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(mu))

    def source(env):
        for _ in range(n):
            yield env.timeout(rng.expovariate(lam))
            env.process(customer(env))

    env.process(source(env))
    env.run()
    return waits


def ciw_run(lam, mu, c, n, seed):
    import ciw
    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=mu)],
        number_of_servers=[c],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(n, method="Finish")
    records = sorted(simulation.get_all_records(), key=lambda r: r.arrival_date)
    return [r.waiting_time for r in records]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", choices=["simpy", "ciw"], required=True)
    parser.add_argument("--lam", type=float, default=9.0)
    parser.add_argument("--mu", type=float, default=1.0)
    parser.add_argument("--servers", type=int, default=10)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    run = simpy_run if args.tool == "simpy" else ciw_run
    waits = run(args.lam, args.mu, args.servers, args.customers, args.seed)
    seconds = time.perf_counter() - started
    measured = waits[len(waits) // 100:]
    print(json.dumps({"tool": args.tool, "customers": args.customers, "seconds": seconds,
                      "customers_per_second": args.customers / seconds,
                      "mean_wait": sum(measured) / len(measured)}))


if __name__ == "__main__":
    main()
