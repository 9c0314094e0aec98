"""The stand-in's own rules, without a bot: permissions, validation, mentions, the plugin."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.standin import permissions as P
from tests.standin import validation as V
from tests.standin.harness import REPO_ROOT
from tests.standin.world import Overwrite, build_default_world, compute_pings


def test_permission_algorithm_order() -> None:
    """Base from roles, owner/admin shortcuts, then @everyone → roles → member overwrites."""
    world = build_default_world()
    guild = world.guild
    general = guild.channel("general")
    owner, mod, member = (world.people[k].id for k in ("owner", "mod", "member"))
    assert P.channel_permissions(guild, general, owner) == P.ALL
    assert P.has(P.channel_permissions(guild, general, mod), P.MANAGE_MESSAGES)
    assert not P.channel_permissions(guild, general, member) & P.MANAGE_MESSAGES
    moderators = guild.role("Moderators")
    general.overwrites = [
        Overwrite(guild.id, 0, deny=P.SEND_MESSAGES),
        Overwrite(moderators.id, 0, allow=P.SEND_MESSAGES),
    ]
    assert P.channel_permissions(guild, general, mod) & P.SEND_MESSAGES
    assert not P.channel_permissions(guild, general, member) & P.SEND_MESSAGES
    # Without Send Messages, embeds and attachments go too (implicit deny).
    assert not P.channel_permissions(guild, general, member) & P.EMBED_LINKS
    general.overwrites.append(Overwrite(mod, 1, deny=P.SEND_MESSAGES))
    assert not P.channel_permissions(guild, general, mod) & P.SEND_MESSAGES
    general.overwrites.append(Overwrite(member, 1, allow=P.SEND_MESSAGES))
    assert P.channel_permissions(guild, general, member) & P.SEND_MESSAGES
    mod_only = guild.channel("mod-only")
    assert not P.channel_permissions(guild, mod_only, member) & P.VIEW_CHANNEL
    assert P.channel_permissions(guild, mod_only, mod) & P.VIEW_CHANNEL
    guild.role("Managers").permissions |= P.ADMINISTRATOR
    assert P.channel_permissions(guild, mod_only, world.people["manager"].id) == P.ALL


def test_message_validation_paths() -> None:
    """Errors are nested by JSON path like Discord's."""
    errors = V.validate_message({"content": "x" * 2001, "embeds": [
        {"title": "t" * 257, "fields": [{"name": "", "value": "v"}]},
        {"url": "javascript:alert(1)"}]})
    tree = errors.body()["errors"]
    assert tree["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert "title" in tree["embeds"]["0"] and "name" in tree["embeds"]["0"]["fields"]["0"]
    assert tree["embeds"]["1"]["url"]["_errors"][0]["code"] == "URL_TYPE_INVALID_URL"
    assert not V.validate_message({"content": "fine", "embeds": [{"title": "ok",
                                                                 "url": "https://e.org"}]})
    both = V.validate_message({"content": "x", "allowed_mentions": {"parse": ["users"],
                                                                    "users": ["1"]}})
    assert "allowed_mentions" in both.tree


def test_thread_names() -> None:
    """Thread names are 1-100 characters."""
    for name, ok in (("", False), ("   ", False), ("x" * 100, True), ("x" * 101, False)):
        errors = V.Errors()
        V.validate_thread_name(errors, ("name",), name)
        assert bool(errors) is not ok, name


def test_command_validation() -> None:
    """Sync-time rules for names, descriptions and options."""
    assert not V.validate_commands([{"name": "feed-add_2", "description": "ok"}])
    assert V.validate_commands([{"name": "has space", "description": "d"}])
    assert V.validate_commands([{"name": "a", "description": "d" * 101}])
    assert V.validate_commands([{"name": "a", "description": "d"},
                                {"name": "a", "description": "d"}])
    nested = [{"name": "a", "description": "d", "options": [
        {"type": 2, "name": "g", "description": "d", "options": [
            {"type": 2, "name": "too-deep", "description": "d"}]}]}]
    assert V.validate_commands(nested)
    assert not V.validate_commands([{"name": "Menu Item", "type": 3}])


def test_pings() -> None:
    """Who is notified depends on content, allowed_mentions and the author's permissions."""
    world = build_default_world()
    guild = world.guild
    mods = guild.role("Moderators")
    managers = guild.role("Managers")
    uid = world.people["member"].id
    text = f"@here <@&{mods.id}> <@&{managers.id}> <@!{uid}>"
    pings = compute_pings(guild, text, None, P.EVERYONE_DEFAULT)
    # Managers is not mentionable and the author can't mention everyone.
    assert (pings.everyone, pings.roles, pings.users) == (False, {mods.id}, {uid})
    pings = compute_pings(guild, text, None, P.ALL)
    assert pings.everyone and pings.roles == {mods.id, managers.id}
    assert not compute_pings(guild, text, {"parse": []}, P.ALL).anyone
    only = compute_pings(guild, text, {"users": [str(uid)]}, P.ALL)
    assert (only.everyone, only.roles, only.users) == (False, set(), {uid})


async def test_plugin_fails_a_test_that_hit_an_unknown_route(tmp_path: Path) -> None:
    """The fixture turns a 404 on an unknown route into a test error at teardown."""
    test_file = tmp_path / "test_unknown.py"
    test_file.write_text(
        "import aiohttp\n\n"
        "async def test_hits_unknown(discord_standin):\n"
        "    async with aiohttp.ClientSession() as http:\n"
        "        async with http.get(discord_standin.api_base + '/bogus') as resp:\n"
        "            assert resp.status == 404\n")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pytest", "-q", "-p", "tests.standin.plugin", "-p",
        "no:cacheprovider", "-o", "asyncio_mode=auto", str(test_file), cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    text = out.decode()
    assert proc.returncode == 1, text
    assert "1 passed, 1 error" in text and "GET /bogus" in text, text
