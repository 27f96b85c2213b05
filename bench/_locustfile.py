"""The simulated learners of ``bench.learners`` (run by locust in its own process).

Each locust user is one seeded learner, logged in (session and CSRF cookies), enrolled in a
course of ten video modules and one quiz, with a quiz attempt open. Its tasks, weighted as
a class of learners spends an afternoon: mostly watching (a heartbeat, cycling through its
ten videos so that no video comes round before the per-video rate limit allows), now and
then opening a module page or the catalogue, and answering quiz questions. Between tasks a
learner waits 1 to 5 s. The ``bare`` phase sends only the bare view, with the same waits:
the floor each level is compared with.

The seed is in the JSON file named by ``SINAU_LOCUST_DATA``; ``SINAU_LOCUST_PHASE`` is
``mix`` or ``bare``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from typing import Any

from locust import FastHttpUser, between, task

DATA = json.loads(open(os.environ["SINAU_LOCUST_DATA"], encoding="utf-8").read())  # noqa: SIM115
PHASE = os.environ.get("SINAU_LOCUST_PHASE", "mix")
_next_learner = itertools.count()


def answer_for(kind: str, rng: random.Random) -> Any:
    if kind == "single":
        return str(rng.randint(1, 4))
    if kind == "multiple":
        return sorted(rng.sample(["1", "2", "3"], rng.randint(1, 2)))
    if kind == "truefalse":
        return rng.choice(["true", "false"])
    if kind == "short":
        return rng.choice(["Pancasila", "UUD 1945"])
    return rng.choice(["20", "19,5"])


class Learner(FastHttpUser):
    wait_time = between(1, 5)

    def on_start(self) -> None:
        number = next(_next_learner)
        self.me = DATA["learners"][number % len(DATA["learners"])]
        self.rng = random.Random(number)
        self.headers = {"Cookie": self.me["cookie"], "X-CSRFToken": self.me["csrf"]}
        self.players = [dict(pair, end=float(pair["start"])) for pair in self.me["pairs"]]
        self.turn = 0

    @task(5)
    def heartbeat(self) -> None:
        if PHASE == "bare":
            return self.bare()
        player = self.players[self.turn % len(self.players)]
        self.turn += 1
        player["end"] = min(player["end"] + 10.0, DATA["video_seconds"])
        body = {
            "module": player["module_id"],
            "intervals": [[player["start"], player["end"]]],
            "position": player["end"],
            "ticket": player["ticket"],
            "final": False,
        }
        with self.client.post(
            player["path"], json=body, headers=self.headers, name="heartbeat",
            catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code == 200:
                player["ticket"] = response.json()["ticket"]  # the next one, as the player
            else:
                response.failure(f"heartbeat answered {response.status_code}")

    @task(2)
    def module_page(self) -> None:
        if PHASE == "bare":
            return self.bare()
        module = self.rng.choice(self.me["module_urls"])
        self.client.get(module, headers=self.headers, name="module page")

    @task(1)
    def catalogue(self) -> None:
        if PHASE == "bare":
            return self.bare()
        self.client.get(DATA["catalogue_url"], headers=self.headers, name="catalogue")

    @task(2)
    def quiz_answer(self) -> None:
        if PHASE == "bare":
            return self.bare()
        position = self.rng.randint(1, len(self.me["kinds"]))
        body = {"position": position, "response": answer_for(self.me["kinds"][str(position)],
                                                              self.rng)}  # fmt: skip
        self.client.post(
            f"/kuis/percobaan/{self.me['attempt_id']}/jawab/", json=body, headers=self.headers,
            name="quiz answer",
        )  # fmt: skip

    def bare(self) -> None:
        self.client.get(DATA["bare_path"], name="bare view")
