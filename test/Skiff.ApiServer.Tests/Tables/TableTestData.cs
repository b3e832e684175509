using k8s.Models;

namespace Skiff.ApiServer.Tests.Tables;

/// <summary>A fixed clock and metadata helpers shared by the printer tests.</summary>
internal static class TableTestData
{
    public static readonly DateTimeOffset Now = new(2025, 1, 10, 12, 0, 0, TimeSpan.Zero);

    public static DateTime Ago(TimeSpan age) => (Now - age).UtcDateTime;

    public static V1ObjectMeta Meta(string name, TimeSpan age, string? ns = "default") =>
        new() { Name = name, NamespaceProperty = ns, CreationTimestamp = Ago(age) };
}
