namespace Skiff.Bench.Controllers;

/// <summary>What one <c>controllers</c> run measured.</summary>
internal sealed record ControllersFigures
{
    /// <summary>The baseline: the same number of pods POSTed by the harness itself.</summary>
    public required Throughput Direct { get; init; }

    /// <summary>From the Deployment's create to the last of its pods appearing on a watch.</summary>
    public required TimeSpan AllPodsExist { get; init; }

    /// <summary>From the harness starting to mark pods ready to availableReplicas = replicas.</summary>
    public required TimeSpan Available { get; init; }

    /// <summary>From the template change to every replica updated and available.</summary>
    public required TimeSpan RollingUpdate { get; init; }

    public required int ReadyPatches { get; init; }

    public required int TotalPods { get; init; }

    public long RssWithoutControllers { get; init; }

    public long RssWithControllers { get; init; }

    public double DeploymentPodsPerSecond => ControllersBenchmark.Replicas / AllPodsExist.TotalSeconds;

    public double RolloutPodsPerSecond => ControllersBenchmark.Replicas / RollingUpdate.TotalSeconds;
}
