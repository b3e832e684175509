#!/usr/bin/python3
"""The official Kubernetes Python client (Debian's python3-kubernetes) against a skiff server.

Usage: python_client.py KUBECONFIG

Creates a fresh namespace and drives a ConfigMap through create, read, list, watch, patch (strategic merge, JSON merge
and JSON patch), optimistic-concurrency replace and delete, printing one line per check. Exits non-zero on the first
failed check, and prints "all checks passed" last when every check held.
"""

import queue
import sys
import threading
import uuid

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

WATCH_TIMEOUT_SECONDS = 30


class CheckFailed(Exception):
    pass


def check(name, condition, detail=""):
    if not condition:
        raise CheckFailed(f"{name}: {detail}")
    print(f"ok   {name}")


def expect_api_error(name, status, call):
    try:
        call()
    except ApiException as error:
        check(name, error.status == status, f"wanted HTTP {status}, got {error.status}: {error.body}")
        return error
    raise CheckFailed(f"{name}: wanted HTTP {status}, the call succeeded")


def config_map(name, data, labels):
    return client.V1ConfigMap(
        api_version="v1",
        kind="ConfigMap",
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        data=data,
    )


def watch_until_deleted(core, namespace, selector, resource_version, events, done):
    """Collects (type, resourceVersion, data) until DELETED, or until the server ends the watch after its timeout."""
    try:
        w = watch.Watch()
        for event in w.stream(
            core.list_namespaced_config_map,
            namespace,
            label_selector=selector,
            resource_version=resource_version,
            timeout_seconds=WATCH_TIMEOUT_SECONDS,
        ):
            obj = event["object"]
            events.put((event["type"], obj.metadata.resource_version, dict(obj.data or {})))
            if event["type"] == "DELETED":
                w.stop()
    except Exception as error:  # reported by the main thread as a failed check
        events.put(("ERROR", None, repr(error)))
    finally:
        done.set()


def merge_patch(api_client, namespace, name, body):
    """python3-kubernetes 22 sends every dict patch as a strategic merge patch, so a JSON merge patch goes through call_api."""
    return api_client.call_api(
        f"/api/v1/namespaces/{namespace}/configmaps/{name}",
        "PATCH",
        header_params={"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
        body=body,
        response_type="V1ConfigMap",
        auth_settings=["BearerToken"],
        _return_http_data_only=True,
    )


def run(kubeconfig):
    config.load_kube_config(config_file=kubeconfig)
    api_client = client.ApiClient()
    core = client.CoreV1Api(api_client)
    namespace = f"pyclient-{uuid.uuid4().hex[:8]}"
    selector = "suite=python-client"

    created_ns = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    check("create namespace", created_ns.metadata.name == namespace, repr(created_ns.metadata))

    # Watch from the list's resourceVersion so the writes below cannot race the watch request.
    before = core.list_namespaced_config_map(namespace, label_selector=selector)
    check("list empty namespace", before.items == [] and before.metadata.resource_version, repr(before))
    events = queue.Queue()
    done = threading.Event()
    watcher = threading.Thread(
        target=watch_until_deleted,
        args=(core, namespace, selector, before.metadata.resource_version, events, done),
        daemon=True,
    )
    watcher.start()

    created = core.create_namespaced_config_map(
        namespace, config_map("settings", {"step": "created", "keep": "1"}, {"suite": "python-client"})
    )
    check("create configmap", created.metadata.uid and created.data["step"] == "created", repr(created))
    core.create_namespaced_config_map(namespace, config_map("unrelated", {"step": "other"}, {"suite": "other"}))

    read = core.read_namespaced_config_map("settings", namespace)
    check(
        "read configmap",
        read.metadata.uid == created.metadata.uid and read.data == {"step": "created", "keep": "1"},
        repr(read),
    )

    listed = core.list_namespaced_config_map(namespace, label_selector=selector)
    names = sorted(item.metadata.name for item in listed.items)
    check("list with label selector", names == ["settings"], repr(names))

    strategic = core.patch_namespaced_config_map(
        "settings", namespace, {"metadata": {"labels": {"patched": "strategic"}}, "data": {"step": "patched"}}
    )
    check(
        "strategic merge patch",
        strategic.data == {"step": "patched", "keep": "1"} and strategic.metadata.labels.get("patched") == "strategic",
        repr(strategic),
    )

    merged = merge_patch(api_client, namespace, "settings", {"data": {"keep": None, "added": "yes"}})
    check("merge patch", merged.data == {"step": "patched", "added": "yes"}, repr(merged.data))

    json_patched = core.patch_namespaced_config_map(
        "settings", namespace, [{"op": "replace", "path": "/data/added", "value": "json"}]
    )
    check("json patch", json_patched.data == {"step": "patched", "added": "json"}, repr(json_patched.data))

    # An unchanged replace is a no-op that keeps the resourceVersion (as kube-apiserver does), so the replace changes data.
    json_patched.data["added"] = "replaced"
    replaced = core.replace_namespaced_config_map("settings", namespace, json_patched)
    check(
        "replace with current resourceVersion",
        replaced.metadata.resource_version != json_patched.metadata.resource_version
        and replaced.data == {"step": "patched", "added": "replaced"},
        repr(replaced),
    )
    error = expect_api_error(
        "replace with stale resourceVersion is a conflict",
        409,
        lambda: core.replace_namespaced_config_map("settings", namespace, json_patched),
    )
    check("conflict carries reason Conflict", '"reason":"Conflict"' in (error.body or ""), error.body)

    core.delete_namespaced_config_map("settings", namespace)
    expect_api_error("read after delete is not found", 404, lambda: core.read_namespaced_config_map("settings", namespace))

    check("watch ended", done.wait(WATCH_TIMEOUT_SECONDS + 5), "the watch neither saw DELETED nor timed out")
    seen = []
    while not events.empty():
        seen.append(events.get())
    types = [event_type for event_type, _, _ in seen]
    wanted = ["ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "MODIFIED", "DELETED"]
    check("watch saw added, modified x4, deleted in order", types == wanted, repr(seen))
    check(
        "watch events carry the written resourceVersions",
        [rv for _, rv, _ in seen[:5]]
        == [o.metadata.resource_version for o in (created, strategic, merged, json_patched, replaced)],
        repr(seen),
    )
    check("watch MODIFIED carries the patched object", seen[1][2].get("step") == "patched", repr(seen[1]))

    deleted_ns = core.delete_namespace(namespace)
    check("delete namespace", deleted_ns is not None, repr(deleted_ns))


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} KUBECONFIG", file=sys.stderr)
        return 2
    try:
        run(argv[1])
    except CheckFailed as failure:
        print(f"FAIL {failure}")
        return 1
    except ApiException as error:
        print(f"FAIL unexpected API error {error.status} {error.reason}: {error.body}")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
