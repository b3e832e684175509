using Skiff.TestKit.Server;

namespace Skiff.ControlPlane.Tests.Server;

/// <summary>A real server without its own controller manager or scheduler: the tests run the controllers (or the scheduler)
/// under test themselves, and the server's copies would race them.</summary>
public sealed class ControlPlaneServerFixture : SkiffServerFixture
{
    protected override SkiffServerOptions? Options => new() { ExtraArguments = ["--disable-controller-manager", "--disable-scheduler"] };
}
