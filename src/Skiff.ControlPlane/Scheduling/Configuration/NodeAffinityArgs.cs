using k8s.Models;

namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>Upstream's NodeAffinityArgs: node affinity the scheduler adds to every pod of the profile.</summary>
public sealed record NodeAffinityArgs(V1NodeAffinity? AddedAffinity);
