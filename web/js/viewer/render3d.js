// The 3D view's ray-caster: WebGL2 on the page, on an OffscreenCanvas. It runs on the
// page, not in the worker, because the worker is busy with Python (decoding, the display
// pipeline): a frame while rotating must not wait behind a decode. It draws on a canvas
// element that is never shown (the pane draws what is read back). One fragment per
// image pixel casts an orthographic ray through the volume, a 3D texture of the values
// normalised to 0..1 by their range (R32F with linear filtering where the browser has
// it, else R16F), trilinear, with mipmaps that previews sample (a coarser level, longer
// steps). Composite mode accumulates the transfer function's colour
// and opacity front to back (opacity corrected for the step, stopped when nearly
// opaque), shaded by the gradient lit from the viewer; MIP mode keeps the largest value
// and shows it through DICOM's LINEAR window. The pixels are read back (readPixels), row
// 0 first: what the viewport draws and renderedFrame() returns. A full frame, which takes
// seconds in software, is drawn in bands of rows, each waited for by a fence, so that the
// page stays responsive and a new gesture can abandon it. Without WebGL2 the
// constructor throws NoWebGL2Error, whose message the viewport shows.

/** @typedef {import("./camera3d.js").Plane} Plane */

export class NoWebGL2Error extends Error {
  constructor() {
    super(
      "3D rendering needs WebGL2, which this browser does not provide (it may be turned off " +
        "or blocked for this graphics driver); the 2D and MPR views still work",
    );
    this.name = "NoWebGL2Error";
  }
}

const VERTEX = `#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

const FRAGMENT = `#version 300 es
precision highp float;
precision highp sampler3D;
uniform sampler3D u_volume;
uniform sampler2D u_lut;
uniform mat4 u_toTex;
uniform vec3 u_origin;
uniform vec3 u_right;
uniform vec3 u_down;
uniform vec3 u_dir;
uniform float u_depth;
uniform float u_step;
uniform float u_alphaPower;
uniform vec2 u_range;
uniform vec2 u_window;
uniform vec3 u_texel;
uniform int u_mip;
uniform int u_shade;
uniform int u_invert;
uniform float u_lod;
out vec4 colour;

float value(vec3 p) {
  return u_range.x + textureLod(u_volume, p, u_lod).r * (u_range.y - u_range.x);
}

void main() {
  vec2 pixel = gl_FragCoord.xy - 0.5;
  vec3 start = u_origin + pixel.x * u_right + pixel.y * u_down - 0.5 * u_depth * u_dir;
  vec3 a = (u_toTex * vec4(start, 1.0)).xyz;
  vec3 d = (u_toTex * vec4(u_dir * u_depth, 0.0)).xyz;
  vec3 inv = 1.0 / (abs(d) + 1e-12) * sign(d + 1e-30);
  vec3 t0 = (vec3(0.0) - a) * inv;
  vec3 t1 = (vec3(1.0) - a) * inv;
  vec3 near = min(t0, t1);
  vec3 far = max(t0, t1);
  float enter = max(max(max(near.x, near.y), near.z), 0.0);
  float leave = min(min(min(far.x, far.y), far.z), 1.0);
  colour = vec4(0.0, 0.0, 0.0, 1.0);
  if (enter >= leave) return;
  float ds = u_step / u_depth;
  mat3 lin = mat3(u_toTex);
  vec3 light = normalize(u_dir);
  float lowest = u_window.x - 0.5 * u_window.y;
  float span = max(u_window.y, 1e-6);
  float best = -3.0e38;
  vec4 sum = vec4(0.0);
  float s = enter + 0.5 * ds;
  for (int i = 0; i < 4096; i++) {
    if (s > leave) break;
    vec3 p = a + s * d;
    float v = value(p);
    if (u_mip == 1) {
      best = max(best, v);
    } else {
      vec4 tf = texture(u_lut, vec2(clamp((v - lowest) / span, 0.0, 1.0), 0.5));
      float alpha = 1.0 - pow(1.0 - min(tf.a, 0.999), u_alphaPower);
      if (alpha > 0.002) {
        vec3 rgb = tf.rgb;
        if (u_shade == 1) {
          vec3 g = vec3(
            value(p + vec3(u_texel.x, 0.0, 0.0)) - value(p - vec3(u_texel.x, 0.0, 0.0)),
            value(p + vec3(0.0, u_texel.y, 0.0)) - value(p - vec3(0.0, u_texel.y, 0.0)),
            value(p + vec3(0.0, 0.0, u_texel.z)) - value(p - vec3(0.0, 0.0, u_texel.z)));
          vec3 normal = transpose(lin) * (g / (2.0 * u_texel));
          float length2 = dot(normal, normal);
          float lit = length2 > 1e-12 ? abs(dot(normal * inversesqrt(length2), light)) : 1.0;
          rgb *= 0.3 + 0.7 * lit;
        }
        sum.rgb += (1.0 - sum.a) * alpha * rgb;
        sum.a += (1.0 - sum.a) * alpha;
        if (sum.a > 0.97) break;
      }
    }
    s += ds;
  }
  if (u_mip == 1) {
    float w = u_window.y;
    float grey = w <= 1.0
      ? (best <= u_window.x - 0.5 ? 0.0 : 1.0)
      : clamp((best - (u_window.x - 0.5)) / (w - 1.0) + 0.5, 0.0, 1.0);
    if (u_invert == 1) grey = 1.0 - grey;
    colour = vec4(vec3(grey), 1.0);
  } else {
    colour = vec4(sum.rgb, 1.0);
  }
}`;

/**
 * @param {WebGL2RenderingContext} gl @param {number} type @param {string} source
 */
function compile(gl, type, source) {
  const shader = gl.createShader(type);
  if (!shader) throw new Error("WebGL2 could not create a shader");
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    throw new Error(`the 3D shader does not compile: ${gl.getShaderInfoLog(shader)}`);
  }
  return shader;
}

/**
 * A volume as the renderer takes it: the grid (camera3d.js Grid), the value range, and
 * the voxels (x fastest).
 * @typedef {import("./camera3d.js").Grid & {range: number[],
 *           voxels: Int16Array | Float32Array}} VolumeUpload
 * What to draw: the plane of the pixels, the ray depth and step (mm), the window
 * (center, width), the transfer table, the modes.
 * `lod`: the texture level sampled (0: the voxels; 1: blocks of 2×2×2, for previews).
 * @typedef {{plane: Plane, dir: number[], depth: number, step: number, reference: number,
 *            window: [number, number], table: Uint8Array, mip: boolean, shade: boolean,
 *            invert: boolean, lod?: number}} DrawRequest
 */

export class VolumeRenderer {
  constructor() {
    // A canvas element, not an OffscreenCanvas: Chromium offers WebGL2 on an
    // OffscreenCanvas even where the user turned WebGL off (--disable-webgl).
    this.canvas = document.createElement("canvas");
    const gl = this.canvas.getContext("webgl2", {
      antialias: false,
      depth: false,
      stencil: false,
      premultipliedAlpha: false,
      preserveDrawingBuffer: true,
    });
    if (!gl) throw new NoWebGL2Error();
    this.gl = gl;
    this.floatLinear = Boolean(gl.getExtension("OES_texture_float_linear"));
    /** the largest 3D texture side this browser takes */
    this.maxDim = /** @type {number} */ (gl.getParameter(gl.MAX_3D_TEXTURE_SIZE));
    const program = gl.createProgram();
    if (!program) throw new Error("WebGL2 could not create a program");
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new Error(`the 3D shader does not link: ${gl.getProgramInfoLog(program)}`);
    }
    this.program = program;
    gl.useProgram(program);
    /** @type {Record<string, WebGLUniformLocation | null>} */
    this.uniforms = {};
    for (const name of [
      "u_volume",
      "u_lut",
      "u_toTex",
      "u_origin",
      "u_right",
      "u_down",
      "u_dir",
      "u_depth",
      "u_step",
      "u_alphaPower",
      "u_range",
      "u_window",
      "u_texel",
      "u_mip",
      "u_shade",
      "u_invert",
      "u_lod",
    ]) {
      this.uniforms[name] = gl.getUniformLocation(program, name);
    }
    gl.uniform1i(this.uniforms.u_volume, 0);
    gl.uniform1i(this.uniforms.u_lut, 1);
    this.volume = gl.createTexture();
    this.lut = gl.createTexture();
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, this.lut);
    gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, 256, 1);
    for (const [key, value] of [
      [gl.TEXTURE_MIN_FILTER, gl.LINEAR],
      [gl.TEXTURE_MAG_FILTER, gl.LINEAR],
      [gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE],
      [gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE],
    ]) {
      gl.texParameteri(gl.TEXTURE_2D, key, value);
    }
    /** @type {Uint8Array | null} the transfer table uploaded */
    this.table = null;
    this.vao = gl.createVertexArray();
  }

  /**
   * Upload a volume (replacing any before), a few slices at a time so that the float copy
   * stays small.
   * @param {VolumeUpload} volume
   */
  upload(volume) {
    const gl = this.gl;
    const [nx, ny, nz] = volume.dims;
    if (Math.max(nx, ny, nz) > this.maxDim) {
      throw new RangeError(`the volume (${nx}×${ny}×${nz}) exceeds this browser's 3D textures`);
    }
    gl.deleteTexture(this.volume);
    this.volume = gl.createTexture();
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_3D, this.volume);
    const levels = Math.floor(Math.log2(Math.max(nx, ny, nz))) + 1;
    const format = this.floatLinear ? gl.R32F : gl.R16F;
    gl.texStorage3D(gl.TEXTURE_3D, levels, format, nx, ny, nz);
    for (const [key, value] of [
      [gl.TEXTURE_MIN_FILTER, gl.LINEAR_MIPMAP_NEAREST],
      [gl.TEXTURE_MAG_FILTER, gl.LINEAR],
      [gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE],
      [gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE],
      [gl.TEXTURE_WRAP_R, gl.CLAMP_TO_EDGE],
    ]) {
      gl.texParameteri(gl.TEXTURE_3D, key, value);
    }
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    const [low, high] = volume.range;
    const scale = high > low ? 1 / (high - low) : 0;
    const slab = Math.max(1, Math.floor((1 << 22) / (nx * ny)));
    const plane = nx * ny;
    const chunk = new Float32Array(plane * Math.min(slab, nz));
    for (let z = 0; z < nz; z += slab) {
      const count = Math.min(slab, nz - z);
      const part = chunk.subarray(0, count * plane);
      const from = volume.voxels.subarray(z * plane, (z + count) * plane);
      for (let i = 0; i < part.length; i++) part[i] = (from[i] - low) * scale;
      gl.texSubImage3D(gl.TEXTURE_3D, 0, 0, 0, z, nx, ny, count, gl.RED, gl.FLOAT, part);
    }
    // Coarser levels for previews while a gesture runs (a level's voxels average eight).
    gl.generateMipmap(gl.TEXTURE_3D);
    this.grid = { dims: [nx, ny, nz], range: [low, high] };
  }

  /**
   * Draw and read back at once: RGBA, `plane.rows` rows of `plane.columns` pixels, row 0
   * first. (Reading back waits for the drawing: the page's thread is held meanwhile.)
   * @param {DrawRequest} request @param {Float32Array} toTexture camera3d.js patientToTexture
   * @returns {Uint8Array}
   */
  draw(request, toTexture) {
    this.prepare(request, toTexture);
    this.drawRows(0, request.plane.rows);
    return this.read();
  }

  /**
   * Draw in bands of rows, waiting for each without holding the page's thread, then read
   * back; `stop()`, asked after each band, abandons the frame (null) for a newer one.
   * @param {DrawRequest} request @param {Float32Array} toTexture @param {number} band rows
   * @param {() => boolean} stop
   * @returns {Promise<Uint8Array | null>}
   */
  async drawInBands(request, toTexture, band, stop) {
    this.prepare(request, toTexture);
    for (let row = 0; row < request.plane.rows; row += band) {
      this.drawRows(row, Math.min(request.plane.rows, row + band));
      await this.finished();
      if (stop()) return null;
    }
    return this.read();
  }

  /** Resolves once the GPU has done what it was given (polled: nothing waits on it). */
  async finished() {
    const gl = this.gl;
    const sync = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
    gl.flush();
    try {
      while (sync && gl.getSyncParameter(sync, gl.SYNC_STATUS) !== gl.SIGNALED) {
        if (gl.isContextLost()) throw new Error("the 3D view's WebGL2 context was lost");
        await new Promise((done) => setTimeout(done, 4));
      }
    } finally {
      gl.deleteSync(sync);
    }
  }

  /** @param {number} from @param {number} to rows (0: the first) */
  drawRows(from, to) {
    const gl = this.gl;
    gl.enable(gl.SCISSOR_TEST);
    gl.scissor(0, from, this.canvas.width, to - from);
    gl.bindVertexArray(this.vao);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    gl.disable(gl.SCISSOR_TEST);
  }

  /** The pixels drawn, row 0 first. */
  read() {
    const gl = this.gl;
    const { width, height } = this.canvas;
    const pixels = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    return pixels;
  }

  /**
   * Size the canvas and set every uniform for a frame.
   * @param {DrawRequest} request @param {Float32Array} toTexture
   */
  prepare(request, toTexture) {
    const gl = this.gl;
    const u = this.uniforms;
    if (!this.grid) throw new Error("no volume to render");
    const { plane } = request;
    if (this.canvas.width !== plane.columns || this.canvas.height !== plane.rows) {
      this.canvas.width = plane.columns;
      this.canvas.height = plane.rows;
    }
    gl.viewport(0, 0, plane.columns, plane.rows);
    gl.useProgram(this.program);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_3D, this.volume);
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, this.lut);
    if (this.table !== request.table) {
      gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
      gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, 256, 1, gl.RGBA, gl.UNSIGNED_BYTE, request.table);
      this.table = request.table;
    }
    const scaled = (/** @type {number[]} */ v, /** @type {number} */ k) =>
      /** @type {[number, number, number]} */ ([v[0] * k, v[1] * k, v[2] * k]);
    gl.uniformMatrix4fv(u.u_toTex, false, toTexture);
    gl.uniform3fv(u.u_origin, plane.origin);
    gl.uniform3fv(u.u_right, scaled(plane.rowDirection, plane.columnSpacing));
    gl.uniform3fv(u.u_down, scaled(plane.columnDirection, plane.rowSpacing));
    gl.uniform3fv(u.u_dir, request.dir);
    gl.uniform1f(u.u_depth, request.depth);
    gl.uniform1f(u.u_step, request.step);
    gl.uniform1f(u.u_alphaPower, request.step / request.reference);
    gl.uniform2fv(u.u_range, this.grid.range);
    gl.uniform2fv(u.u_window, request.window);
    const [nx, ny, nz] = this.grid.dims;
    const scale = 2 ** (request.lod ?? 0);
    gl.uniform3f(u.u_texel, scale / nx, scale / ny, scale / nz);
    gl.uniform1f(u.u_lod, request.lod ?? 0);
    gl.uniform1i(u.u_mip, request.mip ? 1 : 0);
    gl.uniform1i(u.u_shade, request.shade ? 1 : 0);
    gl.uniform1i(u.u_invert, request.invert ? 1 : 0);
  }

  /** Free the GPU memory now rather than when the collector gets to it. */
  dispose() {
    const gl = this.gl;
    gl.deleteTexture(this.volume);
    gl.deleteTexture(this.lut);
    gl.deleteProgram(this.program);
    gl.getExtension("WEBGL_lose_context")?.loseContext();
  }
}
