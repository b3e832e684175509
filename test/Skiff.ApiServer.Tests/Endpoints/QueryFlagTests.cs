using Microsoft.Extensions.Primitives;
using Skiff.ApiServer.Endpoints;

namespace Skiff.ApiServer.Tests.Endpoints;

/// <summary>Boolean query parameters follow apimachinery's Convert_Slice_string_To_bool, which real clients depend on.</summary>
public sealed class QueryFlagTests
{
    [Theory]
    [InlineData("true")]
    [InlineData("True")]
    [InlineData("TRUE")]
    [InlineData("1")]
    [InlineData("t")]
    [InlineData("")]
    public void IsTrue_AnyValueButZeroOrFalse_ReturnsTrue(string value)
    {
        var values = new StringValues(value);

        bool result = QueryFlag.IsTrue(values);

        Assert.True(result);
    }

    [Theory]
    [InlineData("false")]
    [InlineData("False")]
    [InlineData("FALSE")]
    [InlineData("0")]
    public void IsTrue_ZeroOrFalseInAnyCase_ReturnsFalse(string value)
    {
        var values = new StringValues(value);

        bool result = QueryFlag.IsTrue(values);

        Assert.False(result);
    }

    [Fact]
    public void IsTrue_Absent_ReturnsFalse()
    {
        StringValues values = StringValues.Empty;

        bool result = QueryFlag.IsTrue(values);

        Assert.False(result);
    }
}
