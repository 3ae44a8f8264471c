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
//
// Segmentations (issue 16 item 4): up to SEG_SLOTS label volumes on the volume's grid
// (R8UI or R16UI 3D textures, a segment index per voxel, sampled at the nearest voxel) and
// one small RGBA palette (per SEG a row of 256 indices: the segment's sRGB and its opacity,
// 0 when hidden), so that a toggle or an opacity change uploads only the palette. The rule:
// each time a ray's sample enters a visible segment (its segment differs from the previous
// sample's), the segment's surface is composited front to back at the segment's opacity,
// in its colour shaded by the segment's own surface normal (the gradient of its mask) with
// the presets' light (0.3 + 0.7 |n·l|). In the composite presets it joins the one
// accumulation, so what the preset makes opaque in front hides it and at opacity 1 it
// hides what lies behind; in MIP the surfaces are composited over the MIP's grey (the
// nearest visible segment along the ray on top). Where the SEGs overlap, the first listed
// SEG's segment is taken.

/** @typedef {import("./camera3d.js").Plane} Plane */

/** The uniforms of the ray-caster (those of the segments only where it has them). */
const UNIFORMS = [
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
  "u_seg0",
  "u_seg1",
  "u_seg2",
  "u_seg3",
  "u_palette",
  "u_segs",
  "u_segRow",
  "u_dims",
];

/** @typedef {{program: WebGLProgram, uniforms: Record<string, WebGLUniformLocation | null>}} Program */

/** How many SEGs the 3D view draws at once (label volumes bound). */
export const SEG_SLOTS = 4;

/**
 * Nearest-voxel sampling, clamped at the edges, of the texture bound to `target`.
 * @param {WebGL2RenderingContext} gl @param {number} target
 */
function nearest(gl, target) {
  for (const [key, value] of [
    [gl.TEXTURE_MIN_FILTER, gl.NEAREST],
    [gl.TEXTURE_MAG_FILTER, gl.NEAREST],
    [gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE],
    [gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE],
    ...(target === gl.TEXTURE_3D ? [[gl.TEXTURE_WRAP_R, gl.CLAMP_TO_EDGE]] : []),
  ]) {
    gl.texParameteri(target, key, value);
  }
}

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

const FRAGMENT = `
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

#ifdef SEGMENTS
uniform highp usampler3D u_seg0;
uniform highp usampler3D u_seg1;
uniform highp usampler3D u_seg2;
uniform highp usampler3D u_seg3;
uniform sampler2D u_palette;
uniform int u_segs;
uniform ivec4 u_segRow;
uniform ivec3 u_dims;

uint labelIn(int k, ivec3 v) {
  if (k == 0) return texelFetch(u_seg0, v, 0).r;
  if (k == 1) return texelFetch(u_seg1, v, 0).r;
  if (k == 2) return texelFetch(u_seg2, v, 0).r;
  return texelFetch(u_seg3, v, 0).r;
}

// The visible segment at voxel v: 1 + its SEG's slot in the high bits and its index in
// the low 16 (0: none), with its palette entry (colour, opacity).
int segmentAt(ivec3 v, out vec4 entry) {
  for (int k = 0; k < 4; k++) {
    if (k >= u_segs) break;
    uint label = labelIn(k, v);
    if (label == 0u) continue;
    int index = int(label);
    entry = texelFetch(u_palette, ivec2(index % 256, u_segRow[k] + index / 256), 0);
    if (entry.a > 0.0) return ((k + 1) << 16) | index;
  }
  return 0;
}

float inside(int k, uint label, ivec3 v) {
  ivec3 c = clamp(v, ivec3(0), u_dims - 1);
  return labelIn(k, c) == label ? 1.0 : 0.0;
}

// The segment's surface lit as the presets light the volume (its mask's gradient).
vec3 surface(int code, ivec3 v, vec3 rgb, mat3 lin, vec3 light) {
  int k = (code >> 16) - 1;
  uint label = uint(code & 0xffff);
  vec3 g = vec3(
    inside(k, label, v + ivec3(1, 0, 0)) - inside(k, label, v - ivec3(1, 0, 0)),
    inside(k, label, v + ivec3(0, 1, 0)) - inside(k, label, v - ivec3(0, 1, 0)),
    inside(k, label, v + ivec3(0, 0, 1)) - inside(k, label, v - ivec3(0, 0, 1)));
  vec3 normal = transpose(lin) * (g * vec3(u_dims) * 0.5);
  float length2 = dot(normal, normal);
  float lit = length2 > 1e-12 ? abs(dot(normal * inversesqrt(length2), light)) : 1.0;
  return rgb * (0.3 + 0.7 * lit);
}
#endif

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
  vec4 over = vec4(0.0); // MIP: the segments' surfaces, front to back
#ifdef SEGMENTS
  int was = 0;
#endif
  float s = enter + 0.5 * ds;
  for (int i = 0; i < 4096; i++) {
    if (s > leave) break;
    vec3 p = a + s * d;
    float v = value(p);
#ifdef SEGMENTS
    if (u_segs > 0 && (u_mip == 1 ? over.a : sum.a) <= 0.97) {
      ivec3 voxel = clamp(ivec3(floor(p * vec3(u_dims))), ivec3(0), u_dims - 1);
      vec4 entry;
      int code = segmentAt(voxel, entry);
      if (code != 0 && code != was) {
        vec3 rgb = surface(code, voxel, entry.rgb, lin, light);
        if (u_mip == 1) {
          over.rgb += (1.0 - over.a) * entry.a * rgb;
          over.a += (1.0 - over.a) * entry.a;
        } else {
          sum.rgb += (1.0 - sum.a) * entry.a * rgb;
          sum.a += (1.0 - sum.a) * entry.a;
        }
      }
      was = code;
      if (u_mip == 0 && sum.a > 0.97) break;
    }
#endif
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
    colour = vec4(over.rgb + (1.0 - over.a) * vec3(grey), 1.0);
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
    /** @type {(Program | null)[]} the ray-caster without and with segments, made on need */
    this.programs = [this.link(false), null];
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
    // Segmentations: a label volume per slot (units 2..5; an empty one until given, so
    // that every unsigned sampler has an unsigned texture) and the palette (unit 6).
    const empty = gl.createTexture();
    gl.activeTexture(gl.TEXTURE2);
    gl.bindTexture(gl.TEXTURE_3D, empty);
    gl.texStorage3D(gl.TEXTURE_3D, 1, gl.R8UI, 1, 1, 1);
    nearest(gl, gl.TEXTURE_3D);
    this.emptyLabels = empty;
    /** @type {{key: string, texture: WebGLTexture | null}[]} what each slot holds */
    this.slots = Array.from({ length: SEG_SLOTS }, () => ({ key: "", texture: empty }));
    this.palette = gl.createTexture();
    /** the SEGs drawn (slots 0.. in order) and the palette's size */
    this.segments = { count: 0, rows: [0, 0, 0, 0], height: 0 };
  }

  /**
   * The ray-caster's program, with the segments' code (SEGMENTS defined) or without it:
   * software WebGL pays for code a branch skips, so a volume without segments is drawn
   * by the program that has none.
   * @param {boolean} segments @returns {Program}
   */
  link(segments) {
    const gl = this.gl;
    const program = gl.createProgram();
    if (!program) throw new Error("WebGL2 could not create a program");
    const defines = segments ? "#define SEGMENTS\n" : "";
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(
      program,
      compile(gl, gl.FRAGMENT_SHADER, `#version 300 es\n${defines}${FRAGMENT}`),
    );
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
      throw new Error(`the 3D shader does not link: ${gl.getProgramInfoLog(program)}`);
    }
    gl.useProgram(program);
    /** @type {Record<string, WebGLUniformLocation | null>} */
    const uniforms = {};
    for (const name of UNIFORMS) uniforms[name] = gl.getUniformLocation(program, name);
    gl.uniform1i(uniforms.u_volume, 0);
    gl.uniform1i(uniforms.u_lut, 1);
    for (let k = 0; k < SEG_SLOTS; k++) gl.uniform1i(uniforms[`u_seg${k}`], 2 + k);
    gl.uniform1i(uniforms.u_palette, 6);
    return { program, uniforms };
  }

  /**
   * Put a label volume in slot `slot` (replacing what it held): `labels` one segment index
   * a voxel, x fastest, on the volume's grid (`dims` the volume's); `key` names it.
   * @param {number} slot @param {string} key
   * @param {{dims: number[], labels: Uint8Array | Uint16Array}} volume
   */
  uploadLabels(slot, key, { dims, labels }) {
    const gl = this.gl;
    const [nx, ny, nz] = dims;
    if (!this.grid || this.grid.dims.some((n, i) => n !== dims[i])) {
      throw new RangeError(`the label volume (${dims.join("×")}) is not on the volume's grid`);
    }
    const held = this.slots[slot];
    if (held.texture !== this.emptyLabels) gl.deleteTexture(held.texture);
    const texture = gl.createTexture();
    gl.activeTexture(gl.TEXTURE2 + slot);
    gl.bindTexture(gl.TEXTURE_3D, texture);
    const wide = labels instanceof Uint16Array;
    gl.texStorage3D(gl.TEXTURE_3D, 1, wide ? gl.R16UI : gl.R8UI, nx, ny, nz);
    nearest(gl, gl.TEXTURE_3D);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    const format = gl.RED_INTEGER;
    const type = wide ? gl.UNSIGNED_SHORT : gl.UNSIGNED_BYTE;
    gl.texSubImage3D(gl.TEXTURE_3D, 0, 0, 0, 0, nx, ny, nz, format, type, labels);
    this.slots[slot] = { key, texture };
  }

  /** @param {number} slot @returns {string} the key of the label volume in the slot */
  labelsIn(slot) {
    return this.slots[slot].key;
  }

  /** Forget every label volume (a new volume came: they were on the old grid). */
  clearLabels() {
    for (const held of this.slots) {
      if (held.texture !== this.emptyLabels) this.gl.deleteTexture(held.texture);
    }
    this.slots = this.slots.map(() => ({ key: "", texture: this.emptyLabels }));
    this.segments = { count: 0, rows: [0, 0, 0, 0], height: 0 };
  }

  /**
   * Which slots are drawn and their colours: per slot (in order, the first `count`), an
   * RGBA entry per segment index (sRGB, opacity; opacity 0: hidden), index 0 unused.
   * Uploads only the palette (a few kB).
   * @param {Uint8Array[]} entries each 4 × (1 + segments) bytes
   */
  setPalette(entries) {
    const gl = this.gl;
    const count = Math.min(entries.length, SEG_SLOTS);
    const rows = [0, 0, 0, 0];
    let height = 0;
    for (let k = 0; k < count; k++) {
      rows[k] = height;
      height += Math.max(1, Math.ceil(entries[k].length / 4 / 256));
    }
    this.segments = { count, rows, height };
    if (!count) return;
    const bytes = new Uint8Array(256 * 4 * height);
    for (let k = 0; k < count; k++) bytes.set(entries[k], rows[k] * 256 * 4);
    gl.deleteTexture(this.palette);
    this.palette = gl.createTexture();
    gl.activeTexture(gl.TEXTURE6);
    gl.bindTexture(gl.TEXTURE_2D, this.palette);
    gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, 256, height);
    nearest(gl, gl.TEXTURE_2D);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, 256, height, gl.RGBA, gl.UNSIGNED_BYTE, bytes);
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
    this.clearLabels();
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
    if (!this.grid) throw new Error("no volume to render");
    const { count, rows } = this.segments;
    const variant = count > 0 ? 1 : 0;
    const chosen = (this.programs[variant] ??= this.link(true));
    const u = chosen.uniforms;
    const { plane } = request;
    if (this.canvas.width !== plane.columns || this.canvas.height !== plane.rows) {
      this.canvas.width = plane.columns;
      this.canvas.height = plane.rows;
    }
    gl.viewport(0, 0, plane.columns, plane.rows);
    gl.useProgram(chosen.program);
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
    for (let k = 0; k < SEG_SLOTS; k++) {
      gl.activeTexture(gl.TEXTURE2 + k);
      gl.bindTexture(gl.TEXTURE_3D, this.slots[k].texture);
    }
    gl.activeTexture(gl.TEXTURE6);
    gl.bindTexture(gl.TEXTURE_2D, this.palette);
    gl.uniform1i(u.u_segs, count);
    gl.uniform4i(u.u_segRow, rows[0], rows[1], rows[2], rows[3]);
    gl.uniform3i(u.u_dims, nx, ny, nz);
  }

  /** Free the GPU memory now rather than when the collector gets to it. */
  dispose() {
    const gl = this.gl;
    gl.deleteTexture(this.volume);
    gl.deleteTexture(this.lut);
    this.clearLabels();
    gl.deleteTexture(this.emptyLabels);
    gl.deleteTexture(this.palette);
    for (const made of this.programs) if (made) gl.deleteProgram(made.program);
    gl.getExtension("WEBGL_lose_context")?.loseContext();
  }
}
