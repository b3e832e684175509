using System.Collections.Concurrent;
using k8s.Models;
using Skiff.Agent.Kubelet.Volumes;
using Skiff.Agent.Runtime.Cri;

namespace Skiff.Agent.Kubelet;

public sealed partial class PodWorkers
{
    /// <summary>What the kubelet remembers of one pod between relists; everything here can be rebuilt from CRI and the API after a restart.</summary>
    private sealed class PodState
    {
        public DateTime? StartTime { get; set; }

        public Task? Busy { get; set; }

        /// <summary>Why a container waits (ErrImagePull, CreateContainerError, CrashLoopBackOff and its message), by name.</summary>
        public ConcurrentDictionary<string, (string Reason, string Message)> Waiting { get; } = new();

        /// <summary>Termination messages read from exited containers (they never change), by container id.</summary>
        public ConcurrentDictionary<string, string?> TerminationMessages { get; } = new();

        public string? LastStatusJson { get; set; }

        public IList<V1PodCondition>? Conditions { get; set; }

        /// <summary>The sandbox the containers are created in, and its config (rebuilt on adoption).</summary>
        public string? SandboxId { get; set; }

        public PodSandboxConfig? SandboxConfig { get; set; }

        public PodVolumes? Volumes { get; set; }

        /// <summary>Succeeded or Failed once computed (or read from the API): a terminal phase never changes back.</summary>
        public string? TerminalPhase { get; set; }

        public bool SandboxStopped { get; set; }
    }

    /// <summary>One pod's containers in its sandbox, newest run first per name.</summary>
    private sealed class PodView
    {
        public Dictionary<string, ContainerStatus> Newest { get; } = [];

        public Dictionary<string, ContainerStatus> Previous { get; } = [];

        /// <summary>Exited runs older than the previous one: removed (upstream keeps the last one for lastState and logs --previous).</summary>
        public List<string> Stale { get; } = [];
    }
}
