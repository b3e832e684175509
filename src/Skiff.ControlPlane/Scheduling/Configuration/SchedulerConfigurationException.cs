namespace Skiff.ControlPlane.Scheduling.Configuration;

/// <summary>
/// A --scheduler-config file that cannot be used: unreadable, not a KubeSchedulerConfiguration, or invalid. The message names
/// each bad field as upstream's validation does (<c>profiles[1].schedulerName: Duplicate value: "x"</c>); several errors are
/// listed as upstream aggregates them (<c>[first, second]</c>).
/// </summary>
public sealed class SchedulerConfigurationException : Exception
{
    public SchedulerConfigurationException()
        : this([])
    {
    }

    public SchedulerConfigurationException(string message)
        : this([message])
    {
    }

    public SchedulerConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public SchedulerConfigurationException(IReadOnlyList<string> errors)
        : base(Format(errors))
    {
        Errors = errors;
    }

    /// <summary>Every problem found, one per field.</summary>
    public IReadOnlyList<string> Errors { get; }

    private static string Format(IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count switch
        {
            0 => "invalid scheduler configuration",
            1 => errors[0],
            _ => $"[{string.Join(", ", errors)}]",
        };
    }
}
